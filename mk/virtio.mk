# mk/virtio.mk: the virtio device tests also link the transport, the devices and the event loop.
VIRTIO_OBJS := $(VIRTIO_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/src/event/loop.o
VIRTIO_DEV_TESTS := $(filter $(BUILD)/tests/unit/test_virtio_dev%,$(UNIT_BINS))

$(VIRTIO_DEV_TESTS): $(VIRTIO_OBJS)
