//! Citizen Window kiosk library (being built).
