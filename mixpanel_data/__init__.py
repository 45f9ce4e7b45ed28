"""mixpanel-data: Mixpanel analytics data, loaded once with dlt, asked with SQL."""
