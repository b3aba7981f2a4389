"""The contracts between the services, as code (issue 15): who acts (`acting.ActingPerson`), the
payload of every event and command (`messages`), and each service's RPC interface
(`interfaces`). Documents such as `docs/asyncapi.yaml` are generated from these modules."""
