"""mixpanel_data/api."""
