"""A stateful stand-in for the Kubernetes API server, with Argo CD controller stand-ins.

One process serves several clusters, each on its own 127.0.0.1 port with its own store.
See README.md in this folder for what it serves, how faithful it is, and its control API.
"""
