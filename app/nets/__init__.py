"""Small networks: datasets, a numpy MLP, training, the gradient check, the loss landscape
and the live session. Plain numpy; FastAPI is never imported here."""
