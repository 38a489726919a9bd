"""Technology contracts (技术合同): recording, registration (认定登记), voiding, audit history."""
