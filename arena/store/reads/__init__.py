"""Every read of the database, by what it reads (writes: the modules of :mod:`arena.store`)."""
