package io.chronik.protocol;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/** The APIs this broker actually serves: derived from the registered handlers, never hand-listed. */
public final class ApiTable {
    private final Set<Api> served;

    public ApiTable(Set<Api> served) {
        this.served = Collections.unmodifiableSet(served.isEmpty() ? EnumSet.noneOf(Api.class) : EnumSet.copyOf(served));
    }

    public Set<Api> served() {
        return served;
    }

    public boolean isServed(Api api) {
        return api != null && served.contains(api);
    }
}
