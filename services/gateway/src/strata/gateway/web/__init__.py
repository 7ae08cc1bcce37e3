"""HTTP plumbing the routes share: resources per request, the error shape, bearer auth, tokens,
page cursors. Nothing here knows a resource of the API."""
