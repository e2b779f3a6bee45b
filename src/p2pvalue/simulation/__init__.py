"""What-ifs: a community's history replayed under another policy, and forecasts of it."""
