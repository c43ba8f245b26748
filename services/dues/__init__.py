"""dues: dues assessment under versioned rules, payments, arrears and collection reports."""
