"""The Starlette application: /graphql, /healthz, auth, lifespan."""
