"""Order management: client order ids (``ids``) and the order manager (``manager``)."""
