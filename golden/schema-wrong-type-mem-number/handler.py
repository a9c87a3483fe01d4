class Handler: pass
