"""The HTTP edge: pages (HTML), the JSON API, clip serving, voter cookies, error mapping."""
