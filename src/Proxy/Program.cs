namespace Y; public static class Q { public static void Main() { } }
