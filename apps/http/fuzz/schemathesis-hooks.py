"""Hooks of the HTTP service's schemathesis run (apps/http/src/schemathesis.integration.test.ts loads this file).

The run fuzzes a service on the shared test sandbox, so it leaves out the one input whose effect reaches past the
test's own environment: a restore-admin plan. Applied (the stateful phase chains POST /v1/plans into POST /v1/runs),
it registers or logs in to the environment's admin user (`@admin` by default) on the shared Synapse with a password,
and every such login spends Synapse's per-address login rate limit (5 at once, then one per five minutes) that every
other test logging in from 127.0.0.1 shares. Every other input of every operation is generated as usual.
"""

import schemathesis


@schemathesis.hook("filter_case").apply_to(method="POST", path="/v1/plans")
def no_restore_admin_plan(context, case):
    body = case.body
    return not (isinstance(body, dict) and body.get("mode") == "restore-admin")
