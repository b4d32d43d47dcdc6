"""`python -m tasklib`: the same command as `tasklib`."""

from tasklib.cli import main

if __name__ == "__main__":
    main(prog_name="tasklib")
