"""My workspace (我的工作台): each role's own home page after sign-in."""
