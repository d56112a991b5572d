"""The staff web inbox and the playground: server-rendered pages over the staff desk."""
