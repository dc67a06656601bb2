"""Working calendar (工作日历): working days, office hours and the case clock arithmetic."""
