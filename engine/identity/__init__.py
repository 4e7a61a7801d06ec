"""Who is who and who may do what: actors, accounts, tokens, and the permission rules.

``actors``: the acting user and the short-lived cache of them; ``users``: accounts and
group memberships; ``passwords``: hashes; ``lockout``: login attempts counted before the
password check; ``tokens``: signed bearer tokens; ``authorization``: the contract's
permission table, the one place every permission rule lives; ``service``: the identity
service the engine hands out; ``accounts``: deactivation, passwords and API keys
(``apikeys``: the keys' rows).
"""

from .actors import ROLE_GROUPS, SYSTEM, Actor

__all__ = ["ROLE_GROUPS", "SYSTEM", "Actor"]
