"""Mixed traffic for ``benchmarks/load.py``: search 50 %, listing pages 30 %, matches 10 %,
sign-ins and writes 10 %. Ids and accounts come from the JSON file in ``LOAD_PLAN``."""

from __future__ import annotations

import json
import os
import random

from locust import HttpUser, between, task

with open(os.environ["LOAD_PLAN"], encoding="utf-8") as _plan:
    PLAN = json.load(_plan)
TERMS = ["石墨烯", "锂电池 回收", "污水处理 膜", "传感器", "人工智能", "生物医药", "新能源",
         "数控机床", "复合材料", "智能制造", "water treatment", "电池"]
FIELDS = ["", "new_materials", "electronic_info", "environment", "advanced_manufacturing"]


class Visitor(HttpUser):
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        self.broker = PLAN["tokens"]["broker"]
        self.researcher = PLAN["tokens"]["researcher"]

    @task(50)
    def search(self) -> None:
        params = {"q": random.choice(TERMS)}
        field = random.choice(FIELDS)
        if field:
            params["field"] = field
        if random.random() < 0.3:
            params["page"] = str(random.randint(2, 5))
        self.client.get("/search", params=params, name="/search")

    @task(30)
    def listing_page(self) -> None:
        roll = random.random()
        if roll < 0.6:
            self.client.get(f"/achievements/{random.choice(PLAN['achievements'])}",
                            name="/achievements/<id>")
        elif roll < 0.8:
            self.client.get(f"/demands/{random.choice(PLAN['demands'])}", name="/demands/<id>")
        else:
            self.client.get("/achievements", params={"page": random.randint(1, 20)},
                            name="/achievements")

    @task(10)
    def matches(self) -> None:
        self.client.get(f"/api/v1/demands/{random.choice(PLAN['demands'])}/matches",
                        headers={"Authorization": f"Bearer {self.broker}"},
                        name="/api/v1/demands/<id>/matches")

    @task(5)
    def sign_in(self) -> None:
        self.client.post("/api/v1/auth/token", json=PLAN["login"], name="/api/v1/auth/token")

    @task(5)
    def write(self) -> None:
        self.client.post("/api/v1/achievements", name="/api/v1/achievements",
                         headers={"Authorization": f"Bearer {self.researcher}"},
                         json={"title": f"负载测试成果{random.randint(1, 10**9)}",
                               "summary": "一种用于锂电池回收的湿法冶金工艺。",
                               "field": "new_energy", "maturity": 5, "price": "150000.00"})
