"""One function per figure, all in one shared style."""
