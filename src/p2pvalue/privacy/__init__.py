"""Private spaces: sealed content, space keys and who holds them."""
