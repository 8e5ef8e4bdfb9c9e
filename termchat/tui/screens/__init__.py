"""Modal screens: rename, pickers, help, jobs, and the first-run setup screen."""
