"""The simulated TWS / IB Gateway: a pure core (instruments, feed, matching, venue, pacing) in an asyncio shell."""
