"""What the gateway decides and writes beyond a single statement: uploads, run creation and run
control, policy and schema rules, provider keys. Routes call these; these never see a request."""
