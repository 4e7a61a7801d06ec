"""One router per resource; each is thin: read input, call one engine method, answer."""
