"""MIM1 dynamics: subscriptions and notifications, context source registrations, temporal API."""
