// Linked with one feature's whole archive and only the libraries it declares: an undefined
// symbol means the feature uses a part of the code base it may not.
int main() {
  return 0;
}
