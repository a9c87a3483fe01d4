
ÿÿÿÿ truncated