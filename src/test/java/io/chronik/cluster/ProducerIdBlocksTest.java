package io.chronik.cluster;

import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProducerIdBlocksTest {

    @Test
    void aBlockTheControllerHasAlreadyAllocatedIsUsedAtOnce() throws Exception {
        // The controller's answer can be complete before the caller looks at it (a fast quorum): the ids still come.
        AtomicInteger requests = new AtomicInteger();
        ProducerIdBlocks blocks = new ProducerIdBlocks(2, command -> {
            requests.incrementAndGet();
            return CompletableFuture.completedFuture(CommandResult.ok(3000));
        });
        assertThat(blocks.nextProducerId().get(5, TimeUnit.SECONDS)).isEqualTo(3000);
        assertThat(blocks.nextProducerId().get(5, TimeUnit.SECONDS)).isEqualTo(3001);
        assertThat(requests).hasValue(1);
    }

    @Test
    void callersWaitingForABlockShareOneRequest() throws Exception {
        CompletableFuture<CommandResult> answer = new CompletableFuture<>();
        AtomicInteger requests = new AtomicInteger();
        ProducerIdBlocks blocks = new ProducerIdBlocks(1, command -> {
            requests.incrementAndGet();
            return answer;
        });
        CompletableFuture<Long> first = blocks.nextProducerId();
        CompletableFuture<Long> second = blocks.nextProducerId();
        assertThat(requests).hasValue(1);
        answer.complete(CommandResult.ok(1000));
        assertThat(java.util.Set.of(first.get(5, TimeUnit.SECONDS), second.get(5, TimeUnit.SECONDS))).containsExactlyInAnyOrder(1000L, 1001L);
    }

    @Test
    void aRefusedAllocationFailsTheCallersAndTheNextCallAsksAgain() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        ProducerIdBlocks blocks = new ProducerIdBlocks(3, command -> requests.incrementAndGet() == 1
                ? CompletableFuture.completedFuture(CommandResult.error(Errors.NOT_CONTROLLER, "moving"))
                : CompletableFuture.completedFuture(CommandResult.ok(5000)));
        assertThatThrownBy(() -> blocks.nextProducerId().get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        assertThat(blocks.nextProducerId().get(5, TimeUnit.SECONDS)).isEqualTo(5000);
        assertThat(requests).hasValue(2);
    }
}
