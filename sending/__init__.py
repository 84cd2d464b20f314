"""Mail in flight: accepting a send, keeping it durable, building, signing and delivering
it, the lists that stop it, and the SMTP servers; one sub-package per concern."""
