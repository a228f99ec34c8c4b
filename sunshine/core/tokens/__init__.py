"""API tokens: issuing, listing and revoking them (command `sunshine token`, page /account/tokens/)."""
