"""Innovation vouchers (科技创新券): schemes, providers, the voucher life cycle and its figures."""
