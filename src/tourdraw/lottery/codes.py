import secrets

# No 0/O, 1/I/L: an entry code is read aloud on the phone and typed from SMS.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10


def new_entry_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
