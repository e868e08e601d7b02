"""``python -m assistant.cli``: the ``policychat`` command."""

from assistant.cli import main

if __name__ == "__main__":
    main()
