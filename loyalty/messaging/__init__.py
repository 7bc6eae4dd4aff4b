"""Messages to members, and the channels they leave by."""
