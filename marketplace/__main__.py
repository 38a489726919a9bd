"""``python -m marketplace`` runs the same commands as the ``marketplace`` script."""

from marketplace.cli import main

if __name__ == "__main__":
    main()
