"""The layer, loss and container modules of numtorch.nn, one file per kind."""
