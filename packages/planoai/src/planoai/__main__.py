"""`python -m planoai`: the same as the `planoai` command."""

from planoai.cli import main

if __name__ == "__main__":
    main()
