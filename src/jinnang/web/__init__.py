"""The browser pages: server-rendered Jinja templates over the service layer, with the API mounted beside them."""
