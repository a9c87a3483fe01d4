class Handler:
    pass
