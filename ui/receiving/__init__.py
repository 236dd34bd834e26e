"""The receiving station (goods in): scan a delivery into a draft receipt, receive it, and
see which waiting customers it served. ``ReceivingWindow`` is the window."""
