"""Model providers behind one interface (`agents.models.base`)."""
