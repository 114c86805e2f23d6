"""What can be traded: instruments, the built-in catalog, the security master, calendars and holidays."""
