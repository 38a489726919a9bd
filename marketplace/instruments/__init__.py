"""Shared large instruments (大型仪器设备共享): library, bookings, usage and utilisation."""
