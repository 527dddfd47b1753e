"""The staff review UI: FastAPI, server-rendered Jinja2 pages, a little plain JavaScript."""
