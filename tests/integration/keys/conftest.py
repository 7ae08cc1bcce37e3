"""Provider-key fixtures: the in-process gateway with a master key, and a real simulator
process to validate keys against (shared with the lifecycle folder)."""

from tests.integration.lifecycle import conftest as lifecycle_fixtures

gw = lifecycle_fixtures.gw
start_gateway = lifecycle_fixtures.start_gateway
sim_url = lifecycle_fixtures.sim_url
master = lifecycle_fixtures.master
kgw = lifecycle_fixtures.kgw
