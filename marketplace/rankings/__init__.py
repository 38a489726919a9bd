"""Annual rankings of technology brokers and transfer agencies (十佳技术经纪人 · 技术转移机构)."""
